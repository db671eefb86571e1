import type { ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './alert.css';

export interface AlertProps {
  tone?: 'error' | 'success' | 'info' | 'warning';
  title?: string;
  className?: string;
  children?: ReactNode;
}

/**
 * A message box. Errors are alerts (announced at once, role="alert"); the other tones are polite status
 * messages (role="status").
 */
export function Alert({ tone = 'info', title, className, children }: AlertProps) {
  return (
    <div className={cx('alert', `alert--${tone}`, className)} role={tone === 'error' ? 'alert' : 'status'}>
      {title && <p className="alert__title">{title}</p>}
      {children !== undefined && <div className="alert__body">{children}</div>}
    </div>
  );
}
