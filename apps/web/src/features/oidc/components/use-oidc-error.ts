import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { readOidcError } from './oidc-errors';

/**
 * Why the provider's sign-in (or linking) that came back here was refused (`#oidc_error=…`): kept in
 * memory, and taken out of the address, so that a reload or a bookmark does not show it again.
 */
export function useOidcError(): string | null {
  const location = useLocation();
  const navigate = useNavigate();
  const [refusal] = useState(() => readOidcError(location.hash));
  const inAddress = readOidcError(location.hash) !== null;
  useEffect(() => {
    if (!inAddress) return;
    const { pathname, search, state } = location;
    void navigate({ pathname, search }, { replace: true, state });
  }, [inAddress, location, navigate]);
  return refusal;
}
