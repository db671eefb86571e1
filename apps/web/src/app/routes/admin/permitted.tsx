import type { ReactNode } from 'react';
import { useViewer } from '../../../lib/permissions';
import { ForbiddenRoute } from '../forbidden';

/** An admin page's content for viewers holding `permission`; the 403 page for the others. */
export function Permitted({ permission, children }: { permission: string; children: ReactNode }) {
  return useViewer().can(permission) ? children : <ForbiddenRoute />;
}
