import { useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './field.css';

export interface CheckboxProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'> {
  label: string;
  hint?: ReactNode;
}

export function Checkbox({ label, hint, className, ...input }: CheckboxProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={cx('checkbox', className)}>
      <input
        id={id}
        type="checkbox"
        className="checkbox__input"
        aria-describedby={hint !== undefined ? hintId : undefined}
        {...input}
      />
      <div>
        <label className="checkbox__label" htmlFor={id}>
          {label}
        </label>
        {hint !== undefined && (
          <p id={hintId} className="field__hint">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}
