import { useState, type ReactNode } from 'react';
import { GatehouseError } from '@gatehouse/client';
import { errorMessage } from '../lib/form-errors';
import { useAction } from '../lib/use-action';
import { Alert } from './ui/alert';
import { Button } from './ui/button';
import { FormActions } from './ui/form';
import './link-action.css';

export const MISSING_TOKEN = 'This link is incomplete. Open it from the email again, or ask for a new one.';

/** Whether a failure is the server refusing the link itself (unknown, used, expired, for something else). */
export const isInvalidLink = (error: unknown): error is GatehouseError =>
  error instanceof GatehouseError && error.code === 'invalid_token';

/** A link that cannot be used, and the way forward (ask for a new one). */
export function LinkProblem({ message, children }: { message: string; children: ReactNode }) {
  return (
    <div className="link-action">
      <Alert tone="error">{message}</Alert>
      <div className="link-action__next">{children}</div>
    </div>
  );
}

export interface LinkActionProps<T> {
  /** From the link's fragment; null when the link came without one. */
  token: string | null;
  /** What the button does, in the user's words ("Verify my address"). */
  label: string;
  variant?: 'primary' | 'danger';
  /** Spends the token: only ever when the user presses the button, never as the page loads. */
  run: (token: string) => Promise<T>;
  /** The outcome, once the server accepted the link. */
  done: (result: T) => ReactNode;
  /** The way forward when the link is missing, invalid or expired. */
  recovery: ReactNode;
  /** What pressing the button will do, shown before it. */
  children?: ReactNode;
}

/**
 * A page opened from a mailed link. Opening it spends nothing (mail scanners open links too): the token
 * is posted when the user presses the button, and the outcome replaces the button.
 */
export function LinkAction<T>({
  token,
  label,
  variant = 'primary',
  run,
  done,
  recovery,
  children,
}: LinkActionProps<T>) {
  const [result, setResult] = useState<{ value: T } | undefined>(undefined);
  const action = useAction(async (value: string) => run(value));

  if (token === null) return <LinkProblem message={MISSING_TOKEN}>{recovery}</LinkProblem>;
  if (result) return <div className="link-action">{done(result.value)}</div>;
  if (isInvalidLink(action.error)) return <LinkProblem message={action.error.detail}>{recovery}</LinkProblem>;

  const submit = async () => {
    const outcome = await action.run(token);
    if (outcome.ok) setResult({ value: outcome.value });
  };
  return (
    <div className="link-action">
      {action.error !== undefined && <Alert tone="error">{errorMessage(action.error)}</Alert>}
      {children}
      <FormActions>
        <Button block variant={variant} loading={action.pending} onClick={() => void submit()}>
          {label}
        </Button>
      </FormActions>
    </div>
  );
}
