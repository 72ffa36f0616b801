import { connect, type Socket } from 'node:net';
import { RosterError } from '../../domain/errors.js';

/** An SMTP reply: its code and its text, the lines of a multi-line reply joined by spaces, each without its code and enhanced status code. */
export interface SmtpReply {
  readonly code: number;
  readonly text: string;
}

export interface ProbeOptions {
  readonly host: string;
  readonly port: number;
  readonly helo: string;
  /** MAIL FROM; '' is the null sender. */
  readonly from: string;
  readonly timeoutMs?: number;
}

/**
 * Recipients per connection: Postfix counts each refused RCPT as an error
 * and, past smtpd_soft_error_limit (10), sleeps a second before each reply;
 * a fresh session keeps a probe of many frozen lists fast.
 */
const PER_SESSION = 8;

/**
 * What an SMTP server answers to RCPT TO each recipient, asked as a sender's
 * server would (EHLO, MAIL FROM, RCPT TO, no DATA), so a refusal seen here
 * is the one a poster's server gets. Refusals are answers, not errors;
 * a server that cannot be reached or breaks the protocol throws.
 */
export async function probeRecipients(options: ProbeOptions, recipients: readonly string[]): Promise<Map<string, SmtpReply>> {
  const replies = new Map<string, SmtpReply>();
  for (let i = 0; i < recipients.length; i += PER_SESSION) {
    const session = await SmtpSession.open(options);
    try {
      await session.expect(null, 220);
      await session.expect(`EHLO ${options.helo}`, 250);
      await session.expect(`MAIL FROM:<${options.from}>`, 250);
      for (const rcpt of recipients.slice(i, i + PER_SESSION)) replies.set(rcpt, await session.command(`RCPT TO:<${rcpt}>`));
      await session.command('QUIT').catch(() => undefined);
    } finally {
      session.close();
    }
  }
  return replies;
}

class SmtpSession {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly where: string,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, nl).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.on('timeout', () => this.fail(new Error('timed out')));
  }

  static open(options: ProbeOptions): Promise<SmtpSession> {
    const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      socket.setTimeout(options.timeoutMs ?? 10_000);
      const refused = (e: Error): void => reject(new RosterError('unavailable', `SMTP ${where}: ${e.message}`, [], { cause: e }));
      socket.once('error', refused);
      socket.once('timeout', () => {
        socket.destroy();
        refused(new Error('timed out connecting'));
      });
      socket.once('connect', () => {
        socket.off('error', refused);
        resolve(new SmtpSession(socket, where));
      });
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  /** Sends a command (or nothing, for the greeting) and reads its whole reply. */
  async command(line: string | null): Promise<SmtpReply> {
    if (line !== null) this.socket.write(`${line}\r\n`);
    const got: string[] = [];
    for (;;) {
      const next = this.lines.shift();
      if (next === undefined) {
        if (this.failure !== null) throw new RosterError('unavailable', `SMTP ${this.where}: ${this.failure.message}${line === null ? '' : ` after ${line}`}`);
        await new Promise<void>((resolve) => (this.waiting = resolve));
        continue;
      }
      if (!/^[2-5][0-9][0-9]([ -]|$)/.test(next)) throw new RosterError('unavailable', `SMTP ${this.where}: not an SMTP reply: ${JSON.stringify(next.slice(0, 200))}`);
      got.push(next);
      if (next.charAt(3) !== '-') break;
    }
    return {
      code: Number(got[0]?.slice(0, 3)),
      text: got
        .map((l) => l.slice(4).replace(/^[245]\.[0-9]{1,3}\.[0-9]{1,3} /, ''))
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim(),
    };
  }

  /** A command whose reply must have `code`; anything else means the probe cannot go on. */
  async expect(line: string | null, code: number): Promise<void> {
    const reply = await this.command(line);
    if (reply.code !== code) throw new RosterError('unavailable', `SMTP ${this.where}: ${line ?? 'greeting'} answered ${reply.code} ${reply.text}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
