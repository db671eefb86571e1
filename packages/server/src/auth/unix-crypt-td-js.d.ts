/** unix-crypt-td-js ships no types: the DES-based crypt(3) Django's `crypt` hasher wrote. */
declare module 'unix-crypt-td-js' {
  /** crypt(3): a 13-character hash whose first two characters are the salt. */
  function unixCryptTD(password: string | number[], salt: string | number[]): string;
  export default unixCryptTD;
}
