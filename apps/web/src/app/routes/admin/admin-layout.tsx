import { NavLink, Outlet } from 'react-router';
import { useViewer } from '../../../lib/permissions';
import '../pages.css';

const tabClass = ({ isActive }: { isActive: boolean }) =>
  isActive ? 'sub-nav__link sub-nav__link--active' : 'sub-nav__link';

/** The administration section: above each page, the tabs of the pages this viewer may open. */
export function AdminLayout() {
  const { adminPages } = useViewer();
  return (
    <>
      <nav className="sub-nav" aria-label="Administration">
        {adminPages.map((page) => (
          <NavLink key={page.to} to={page.to} end={page.to === '/admin'} className={tabClass}>
            {page.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </>
  );
}
