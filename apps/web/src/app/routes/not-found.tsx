import { useLocation } from 'react-router';
import { ButtonLink } from '../../components/ui/button';
import { useDocumentTitle } from '../../lib/use-document-title';
import './pages.css';

export function NotFoundRoute() {
  useDocumentTitle('Page not found');
  const { pathname } = useLocation();
  return (
    <section className="state-page" aria-labelledby="not-found-title">
      <p className="state-page__code">404</p>
      <h1 id="not-found-title" className="state-page__title">
        Page not found
      </h1>
      <p>
        There is no page at <code>{pathname}</code>. Check the address, or start again from the start page.
      </p>
      <ButtonLink to="/">Back to the start page</ButtonLink>
    </section>
  );
}
