import { ButtonLink } from '../../components/ui/button';
import { useDocumentTitle } from '../../lib/use-document-title';
import './pages.css';

/** Shown to a signed-in user on a page their permissions do not open (administration, or a part of it). */
export function ForbiddenRoute() {
  useDocumentTitle('No access');
  return (
    <section className="state-page" role="alert" aria-labelledby="forbidden-title">
      <p className="state-page__code">403</p>
      <h1 id="forbidden-title" className="state-page__title">
        You do not have access to this page.
      </h1>
      <p>Your roles do not include it. Ask an administrator to grant you access if you need it.</p>
      <ButtonLink to="/">Back to the start page</ButtonLink>
    </section>
  );
}
