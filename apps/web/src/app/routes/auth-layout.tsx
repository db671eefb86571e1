import type { ReactNode } from 'react';
import { Logo } from '../../components/layout/logo';
import { useDocumentTitle } from '../../lib/use-document-title';
import './auth-layout.css';

export interface AuthLayoutProps {
  title: string;
  description: string;
  children: ReactNode;
  footer: ReactNode;
}

/** The signed-out pages: one centred card under the brand. */
export function AuthLayout({ title, description, children, footer }: AuthLayoutProps) {
  useDocumentTitle(title);
  return (
    <div className="auth-layout">
      <div className="auth-layout__card">
        <div className="auth-layout__intro">
          <span className="auth-layout__logo">
            <Logo />
          </span>
          <h1 className="auth-layout__title">{title}</h1>
          <p className="auth-layout__description">{description}</p>
        </div>
        {children}
      </div>
      <p className="auth-layout__footer">{footer}</p>
    </div>
  );
}
