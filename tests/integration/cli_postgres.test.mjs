// The CLI suite (cli.test.mjs) again, with the server on PostgreSQL.
import { test } from 'node:test';

const have = !!process.env.CUSTOS_TEST_PG_URL;
if (!have && process.env.CUSTOS_REQUIRE_PG === '1') throw new Error('CUSTOS_REQUIRE_PG=1 but CUSTOS_TEST_PG_URL is unset');
if (have) {
  process.env.CUSTOS_CLI_STORE = 'postgres';
  await import('./cli.test.mjs');
} else {
  test('CLI on PostgreSQL', { skip: 'no PostgreSQL (set CUSTOS_TEST_PG_URL)' }, () => {});
}
