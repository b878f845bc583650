// The one state of the UI (S): the session, the open case, the last search; what the role allows.

export const S = {
  session: null, // {user, role, csrf, cases}
  case: null,
  last: null, // the last search: {params, resp}
  help: null, // the query language, as markdown
  seq: 0, // render generation: stale answers are dropped
  cursor: -1, // selected result (j/k)
  selectOnRender: null, // 'first' or 'last': j/k turned the page
};

export const canWrite = () => S.session && (S.session.role === 'admin' || S.session.role === 'reporter');
export const isAdmin = () => S.session && S.session.role === 'admin';

export function pickCase() {
  const cases = (S.session && S.session.cases) || [];
  const stored = localStorage.getItem('trove.case');
  if (stored && cases.includes(stored)) return stored;
  return cases[0] || null;
}
