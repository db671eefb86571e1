import type { FormEvent, FormHTMLAttributes, ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './form.css';

export interface FormProps extends Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'> {
  /** Called with the default submission prevented. */
  onSubmit: () => void;
  children: ReactNode;
}

/** A vertical form layout whose submit handler never reloads the page. */
export function Form({ onSubmit, className, children, ...rest }: FormProps) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form className={cx('form', className)} onSubmit={submit} {...rest}>
      {children}
    </form>
  );
}

/** Inputs side by side where there is room (first and last name), stacked on phones. */
export function FormRow({ children }: { children: ReactNode }) {
  return <div className="form__row">{children}</div>;
}

export function FormActions({ children }: { children: ReactNode }) {
  return <div className="form__actions">{children}</div>;
}
