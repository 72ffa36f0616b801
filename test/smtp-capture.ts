import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  readonly to: readonly string[];
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly raw: string;
}

export interface SmtpCapture {
  readonly port: number;
  readonly messages: CapturedMail[];
  /** Logins seen, as `user:password`. */
  readonly logins: string[];
  close(): Promise<void>;
}

/** Undoes quoted-printable (soft breaks and =XX), as nodemailer writes long or non-ASCII bodies. */
function decodeQuotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
  );
}

function parse(raw: string, to: readonly string[], from: string): CapturedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const header = (name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1] ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  else body = Buffer.from(body, 'latin1').toString('utf8');
  return { to, from, subject: decodeHeader(header('Subject')), text: body.replace(/\r\n/g, '\n'), raw };
}

/**
 * A real SMTP server on 127.0.0.1 and an ephemeral port that keeps every
 * message (the `smtp-server` package). STARTTLS is off: its default
 * certificate is self-signed, and the tests are about what is sent. With
 * `tls` it speaks TLS from the first byte (SMTPS) with that key and
 * certificate.
 */
export async function startSmtpCapture(
  options: { readonly user?: string; readonly password?: string; readonly tls?: { readonly key: string; readonly cert: string } } = {},
): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    ...(options.tls === undefined ? {} : { secure: true, key: options.tls.key, cert: options.tls.cert }),
    disabledCommands: ['STARTTLS'],
    authOptional: options.user === undefined,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username ?? ''}:${auth.password ?? ''}`);
      if (auth.username === options.user && auth.password === options.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        messages.push(parse(Buffer.concat(chunks).toString('latin1'), to, from));
        callback();
      });
    },
  });
  // A client that refuses the certificate closes the connection during the handshake: smtp-server reports it as an error event.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
