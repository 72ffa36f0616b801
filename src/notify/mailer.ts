import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { NotifyConfig } from '../config/config-schema.js';
import { errorMessage, RosterError } from '../domain/errors.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Extra header fields (List-Unsubscribe, RFC 8058), already checked: one line each. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What delivery needs from a mail transport (consumer-owned, DESIGN.md §9.2). */
export interface Mailer {
  /** e.g. `smtp://mail.example.org:587` or `sendmail /usr/sbin/sendmail`, for reports. */
  readonly describe: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * The configured transport through nodemailer: SMTP (optionally with a
 * password read from a file, never from roster.yaml) or the host's sendmail.
 * Null when `notify.transport` is `none`: messages then wait in the outbox.
 * Relative paths are relative to the directory of roster.yaml.
 */
export async function createMailer(config: NotifyConfig, configDir: string): Promise<Mailer | null> {
  const from = config.from;
  if (config.transport === 'none') return null;
  if (config.transport === 'sendmail') {
    const transport = nodemailer.createTransport({ sendmail: true, path: config.sendmail.path, newline: 'unix' });
    return {
      describe: `sendmail ${config.sendmail.path}`,
      async send(mail) {
        await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }) });
      },
      close: () => transport.close(),
    };
  }
  const smtp = config.smtp;
  if (smtp === undefined) throw new RosterError('bad_config', 'notify.transport is smtp but notify.smtp is missing');
  let auth: { user: string; pass: string } | undefined;
  if (smtp.auth !== undefined) {
    const file = resolve(configDir, smtp.auth.passwordFile);
    try {
      auth = { user: smtp.auth.user, pass: (await readFile(file, 'utf8')).replace(/\r?\n$/, '') };
    } catch (e) {
      throw new RosterError('bad_config', `cannot read the SMTP password file ${file}: ${errorMessage(e)}`);
    }
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(auth === undefined ? {} : { auth }),
    // A mail server that hangs must not hold a command or a job for minutes.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    describe: `smtp://${smtp.host}:${smtp.port}`,
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }) });
    },
    close: () => transport.close(),
  };
}
