import { ButtonLink } from '../../components/ui/button';
import { useDocumentTitle } from '../../lib/use-document-title';
import './pages.css';

/** Shown to a signed-in user on a page their role does not open (administration, for non-superusers). */
export function ForbiddenRoute() {
  useDocumentTitle('No access');
  return (
    <section className="state-page" role="alert" aria-labelledby="forbidden-title">
      <p className="state-page__code">403</p>
      <h1 id="forbidden-title" className="state-page__title">
        You do not have access to this page.
      </h1>
      <p>Administration is for superusers. Ask one to grant you access if you need it.</p>
      <ButtonLink to="/">Back to the start page</ButtonLink>
    </section>
  );
}
