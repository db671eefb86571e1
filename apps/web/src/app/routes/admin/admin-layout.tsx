import { NavLink, Outlet } from 'react-router';
import '../pages.css';

const tabClass = ({ isActive }: { isActive: boolean }) =>
  isActive ? 'sub-nav__link sub-nav__link--active' : 'sub-nav__link';

/** The administration section: its own tabs above each page. */
export function AdminLayout() {
  return (
    <>
      <nav className="sub-nav" aria-label="Administration">
        <NavLink to="/admin" end className={tabClass}>
          Users
        </NavLink>
        <NavLink to="/admin/audit" className={tabClass}>
          Audit log
        </NavLink>
      </nav>
      <Outlet />
    </>
  );
}
