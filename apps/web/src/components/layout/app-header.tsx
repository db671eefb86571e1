import { lazy, Suspense } from 'react';
import { Link, NavLink } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import { Button } from '../ui/button';
import { useAction } from '../../lib/use-action';
import { Logo } from './logo';
import './app-header.css';

// Loaded once signed in: the login page does not carry the permission check.
const AdminNavLink = lazy(async () => ({ default: (await import('./admin-nav-link')).AdminNavLink }));

const navClass = ({ isActive }: { isActive: boolean }) =>
  isActive ? 'nav__link nav__link--active' : 'nav__link';

/**
 * The header: the brand, and once signed in the greeting, the navigation (Admin for those whose
 * permissions open an admin page) and "Log out". On phones the navigation moves to a second row of tabs: every link stays one tap away.
 */
export function AppHeader() {
  const { user, logout } = useAuth();
  const signOut = useAction(() => logout());

  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link to="/" className="brand">
          <Logo />
          <span className="brand__name">Gatehouse</span>
        </Link>
        {user && (
          <>
            <nav className="nav" aria-label="Main">
              <NavLink to="/" end className={navClass}>
                Home
              </NavLink>
              <NavLink to="/account" className={navClass}>
                Account
              </NavLink>
              <Suspense fallback={null}>
                <AdminNavLink user={user} className={navClass} />
              </Suspense>
            </nav>
            <div className="app-header__user">
              <span className="app-header__greeting" title={user.username}>
                Hello {user.username}!
              </span>
              <Button
                variant="secondary"
                size="sm"
                loading={signOut.pending}
                onClick={() => void signOut.run()}
              >
                Log out
              </Button>
            </div>
          </>
        )}
      </div>
    </header>
  );
}
