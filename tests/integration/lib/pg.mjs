// A private PostgreSQL 15 for tests that stop and restart it (the shared
// one that `make test` starts must stay up for everyone else).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SOURCE_DIR, tempDir } from './custos.mjs';

const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';

function sh(script) {
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${script}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function startPrivatePg() {
  const dir = join(tempDir('custos-pg-'), 'pg');
  const out = sh(`source '${SOURCE_DIR}/scripts/pg.sh' && pg_start '${dir}' && echo "URL=$PG_URL" && echo "PORT=$PG_PORT"`);
  const url = /URL=(\S+)/.exec(out)[1];
  const port = /PORT=(\d+)/.exec(out)[1];
  const ctl = (args) => sh(`runuser -u postgres -- '${PG_BIN}/pg_ctl' -D '${dir}/data' ${args}`);
  return {
    url, port, dir,
    stop() { ctl('-m immediate -w stop'); },
    start() { ctl(`-l '${dir}/server.log' -w -t 30 -o "-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off" start`); },
    psql(sql) {
      return sh(`runuser -u postgres -- '${PG_BIN}/psql' -h 127.0.0.1 -p ${port} -U postgres -d custos_test -qAt -c "${sql.replace(/"/g, '\\"')}"`);
    },
    destroy() { try { ctl('-m immediate -w stop'); } catch { /* already down */ } },
  };
}
