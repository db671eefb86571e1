/** Gatehouse's mark: a gate under an arch. Decorative; the wordmark beside it is the link's name. */
export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path
        d="M9 25V14a7 7 0 0 1 14 0v11M13 25v-9M19 25v-9M9 19h14"
        fill="none"
        stroke="white"
        strokeWidth="2.2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
