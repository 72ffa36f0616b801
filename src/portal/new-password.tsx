import type { RosterError } from '../domain/errors.js';
import type { PasswordPolicy } from '../domain/password-policy.js';
import { portalStrings as s } from './portal-strings.js';

/** The fields every new-password form has: the password and its confirmation. */
export type NewPasswordField = 'password' | 'confirm';

/** A new-password form's state: `F` names its fields (the two new-password ones, and a page's own). */
export interface NewPasswordForm<F extends string = NewPasswordField> {
  readonly errors: Partial<Record<F, string>>;
  /** The policy's reasons for refusing the new password, each in words. */
  readonly problems: readonly string[];
  /** An error about the whole form (a wait, a failure of the KDC). */
  readonly error?: string;
}

/** Whether the form carries any error, so the page says so at its top. */
export function formHasErrors<F extends string>(form: NewPasswordForm<F>): boolean {
  return form.error !== undefined || form.problems.length > 0 || Object.keys(form.errors).length > 0;
}

/** A field's aria-invalid and aria-describedby (a note it points at, and its error when it has one): spread onto the input. */
export function invalid<F extends string>(form: NewPasswordForm<F>, f: F, describedBy?: string): Record<string, string> {
  const bad = form.errors[f] !== undefined || (f === 'password' && form.problems.length > 0);
  const ids = [describedBy, bad ? `${f}-error` : undefined].filter((x) => x !== undefined).join(' ');
  return { ...(bad ? { 'aria-invalid': 'true' } : {}), ...(ids === '' ? {} : { 'aria-describedby': ids }) };
}

/** A field's error under it (id `<field>-error`, which `invalid` points at); for the new password, every reason of the policy. */
export function FieldError<F extends string>(props: { readonly form: NewPasswordForm<F>; readonly f: F }) {
  const { form, f } = props;
  const text = f === 'password' && form.problems.length > 0 ? `${s.passwordRefused} ${form.problems.join('; ')}.` : form.errors[f];
  return text === undefined ? null : (
    <p class="field-error" id={`${f}-error`}>
      {text}
    </p>
  );
}

/**
 * The new password twice, with the type's policy shown before typing (the
 * password field is described by its rules) and each field's error: the
 * same on the member's own change and on a reset link's page.
 */
export function NewPasswordFields<F extends string>(props: { readonly form: NewPasswordForm<F | NewPasswordField>; readonly policy: PasswordPolicy | undefined }) {
  const { form, policy } = props;
  return (
    <>
      {policy === undefined ? null : (
        <>
          <h2 id="policy">{s.passwordPolicyHeading}</h2>
          <ul id="policy-rules">
            <li>{s.passwordRuleLength(policy.minLength)}</li>
            <li>{s.passwordRuleClasses(policy.minClasses)}</li>
            <li>{s.passwordRuleCommon}</li>
            <li>{s.passwordRuleNames}</li>
          </ul>
        </>
      )}
      <label for="password">{s.newPassword}</label>
      <input type="password" id="password" name="password" autocomplete="new-password" required {...invalid(form, 'password', 'policy-rules')} />
      <FieldError form={form} f="password" />
      <label for="confirm">{s.confirmPassword}</label>
      <input type="password" id="confirm" name="confirm" autocomplete="new-password" required {...invalid(form, 'confirm')} />
      <FieldError form={form} f="confirm" />
    </>
  );
}

/** The new password's own checks before any policy: given, and typed the same twice. Adds to `errors`, which the caller may have filled. */
export function checkNewPassword(errors: Partial<Record<NewPasswordField, string>>, next: string, confirm: string): void {
  if (next === '') errors.password = s.passwordRequired;
  else if (confirm !== next) errors.confirm = s.passwordMismatch;
}

/** The form to show again when the new password was refused: every reason of the policy, or why it is no password at all; undefined for any other error. */
export function refusedNewPassword(e: RosterError): NewPasswordForm | undefined {
  if (e.code === 'weak_password') return { errors: {}, problems: e.issues.map((i) => i.message) };
  if (e.code === 'bad_input') return { errors: { password: e.message }, problems: [] };
  return undefined;
}
