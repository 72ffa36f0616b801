import { execFile } from 'node:child_process';

export interface Rcpt {
  readonly code: number;
  /** The reply lines joined, without their codes and enhanced status codes. */
  readonly text: string;
}

/**
 * RCPT TO one address on `server` (host:port), judged by swaks rather than
 * by the target's own SMTP client: the reply lines after its `RCPT TO` line.
 */
export function swaksRcpt(server: string, address: string): Promise<Rcpt> {
  return new Promise((resolve, reject) => {
    execFile('swaks', ['--server', server, '--from', 'poster@sender.example', '--to', address, '--quit-after', 'RCPT', '--timeout', '20'], { timeout: 30_000 }, (error, stdout, stderr) => {
      const lines = `${stdout}${stderr}`.split('\n');
      const at = lines.findIndex((l) => l.startsWith(' -> RCPT TO:'));
      const reply: string[] = [];
      for (const l of lines.slice(at + 1)) {
        const m = /^<(?:-|\*\*) +([0-9]{3})([ -])(.*)$/.exec(l);
        if (m === null) break;
        reply.push(l);
        if (m[2] === ' ') {
          resolve({ code: Number(m[1]), text: reply.map((r) => r.replace(/^<(?:-|\*\*) +[0-9]{3}[ -]/, '').replace(/^[245]\.[0-9]+\.[0-9]+ /, '')).join(' ') });
          return;
        }
      }
      reject(new Error(`swaks gave no RCPT reply (${error?.message ?? 'exit 0'}):\n${stdout}${stderr}`));
    });
  });
}
