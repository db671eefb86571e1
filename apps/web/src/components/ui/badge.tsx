import type { ReactNode } from 'react';
import { cx } from '../../lib/cx';
import './badge.css';

export interface BadgeProps {
  tone?: 'neutral' | 'primary' | 'success' | 'warning' | 'danger';
  children: ReactNode;
}

export function Badge({ tone = 'neutral', children }: BadgeProps) {
  return <span className={cx('badge', `badge--${tone}`)}>{children}</span>;
}
