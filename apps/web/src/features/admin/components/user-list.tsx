import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '@gatehouse/client/react';
import type { AccountResponse } from '@gatehouse/contract';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/card';
import { Pagination } from '../../../components/ui/pagination';
import { PageSpinner, Spinner } from '../../../components/ui/spinner';
import { Table, type Column } from '../../../components/ui/table';
import { TextField } from '../../../components/ui/text-field';
import { errorMessage } from '../../../lib/form-errors';
import { formatDateTime, formatRelative, fullName } from '../../../lib/format';
import { useResource } from '../../../lib/use-resource';
import { listUsers, USERS_PAGE_SIZE } from '../api/users';
import { UserBadges } from './user-badges';
import './admin.css';

export interface UserQuery {
  search: string;
  page: number;
}

export interface UserListProps extends UserQuery {
  /** The route keeps the query in the URL, so Back and a reload show the same page. */
  onQueryChange: (query: UserQuery) => void;
}

const SEARCH_DELAY_MS = 300;

const columns: Column<AccountResponse>[] = [
  {
    header: 'Username',
    cell: (user) => (
      <Link className="user-link" to={`/admin/users/${user.id}`}>
        {user.username}
      </Link>
    ),
  },
  { header: 'Name', cell: (user) => fullName(user) ?? <span className="admin-muted">—</span> },
  { header: 'Email', cell: (user) => user.email ?? <span className="admin-muted">—</span> },
  { header: 'Status', cell: (user) => <UserBadges user={user} /> },
  {
    header: 'Updated',
    cell: (user) => (
      <time dateTime={user.updated} title={formatDateTime(user.updated)}>
        {formatRelative(user.updated)}
      </time>
    ),
  },
];

/** Every account, searchable by username, email or name, a page at a time. */
export function UserList({ search, page, onQueryChange }: UserListProps) {
  const { fetch } = useAuth();
  const [text, setText] = useState(search);
  const { state, reload } = useResource(
    `users?search=${search}&page=${page}`,
    (signal) => listUsers(fetch, { search, page }, signal),
    { keepPrevious: true },
  );

  // Back and Forward change the query under the input.
  useEffect(() => setText((current) => (current.trim() === search ? current : search)), [search]);

  useEffect(() => {
    if (text.trim() === search.trim()) return;
    const timer = setTimeout(() => onQueryChange({ search: text.trim(), page: 1 }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, search, onQueryChange]);

  const refreshing = state.status === 'ready' && state.refreshing;
  return (
    <Card>
      <div className="admin-stack">
        <form
          role="search"
          className="admin-search"
          onSubmit={(event) => {
            event.preventDefault();
            onQueryChange({ search: text.trim(), page: 1 });
          }}
        >
          <TextField
            label="Search users"
            type="search"
            name="search"
            autoComplete="off"
            spellCheck={false}
            placeholder="Username, email or name"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
          <span className="admin-search__status" aria-hidden={!refreshing}>
            {refreshing && <Spinner size="sm" />}
          </span>
        </form>
        {state.status === 'loading' && <PageSpinner label="Loading users…" />}
        {state.status === 'error' && (
          <Alert tone="error" title="The users could not be loaded.">
            <p>{errorMessage(state.error)}</p>
            <Button variant="secondary" size="sm" onClick={reload}>
              Try again
            </Button>
          </Alert>
        )}
        {state.status === 'ready' && (
          <div aria-busy={refreshing}>
            <Table
              caption={search ? `Users matching "${search}"` : 'Users'}
              columns={columns}
              rows={state.data.results}
              rowKey={(user) => user.id}
              empty={search ? `No user matches "${search}".` : 'No users yet.'}
            />
            <Pagination
              page={page}
              pageSize={USERS_PAGE_SIZE}
              count={state.data.count}
              hasPrevious={state.data.previous !== null}
              hasNext={state.data.next !== null}
              onPage={(next) => onQueryChange({ search, page: next })}
              noun={state.data.count === 1 ? 'user' : 'users'}
              disabled={refreshing}
            />
          </div>
        )}
      </div>
    </Card>
  );
}
