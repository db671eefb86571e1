import { Button } from '../components/ui/button';
import { errorMessage } from '../lib/form-errors';
import { useDocumentTitle } from '../lib/use-document-title';
import './routes/pages.css';

/** The session could not be restored because the server did not answer: say so, offer to try again. */
export function StartError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  useDocumentTitle('Cannot reach Gatehouse');
  return (
    <main className="app-main">
      <section className="state-page" role="alert" aria-labelledby="start-error-title">
        <p className="state-page__code">Offline?</p>
        <h1 id="start-error-title" className="state-page__title">
          Gatehouse cannot be reached
        </h1>
        <p>{errorMessage(error)}</p>
        <Button onClick={onRetry}>Try again</Button>
      </section>
    </main>
  );
}
