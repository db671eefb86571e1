import { useId, type ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './card.css';

export interface CardProps {
  title?: string;
  description?: ReactNode;
  /** Rendered at the right of the title: a badge, a small action. */
  actions?: ReactNode;
  tone?: 'default' | 'danger';
  className?: string;
  children: ReactNode;
}

/** A titled section of a page; its title is an h2 and names the section for assistive technology. */
export function Card({ title, description, actions, tone = 'default', className, children }: CardProps) {
  const titleId = useId();
  return (
    <section
      className={cx('card', tone === 'danger' && 'card--danger', className)}
      aria-labelledby={title ? titleId : undefined}
    >
      {(title || actions) && (
        <header className="card__header">
          <div className="card__heading">
            {title && (
              <h2 id={titleId} className="card__title">
                {title}
              </h2>
            )}
            {description && <p className="card__description">{description}</p>}
          </div>
          {actions && <div className="card__actions">{actions}</div>}
        </header>
      )}
      <div className="card__body">{children}</div>
    </section>
  );
}
