import { Button } from '../../components/ui/button';
import { useDocumentTitle } from '../../lib/use-document-title';
import { useRouteError } from '../route-tree';
import './pages.css';

/** The last resort: a page failed to render or its code failed to load (e.g. after a deployment). */
export function RouteError() {
  useDocumentTitle('Something went wrong');
  const error = useRouteError();
  const detail = error instanceof Error ? error.message : undefined;
  return (
    <main className="app-main">
      <section className="state-page" role="alert" aria-labelledby="error-title">
        <p className="state-page__code">Error</p>
        <h1 id="error-title" className="state-page__title">
          Something went wrong
        </h1>
        <p>The page could not be shown. Reloading usually fixes it.</p>
        {detail && (
          <p>
            <code>{detail}</code>
          </p>
        )}
        <Button onClick={() => window.location.reload()}>Reload the page</Button>
      </section>
    </main>
  );
}
