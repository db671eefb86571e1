/** One page of a listing, with the count of everything the listing matches. */
export interface Page<T> {
  count: number;
  items: T[];
}
