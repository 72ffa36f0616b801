import { BerWriter, Control, EqualityFilter } from 'ldapts';

/**
 * The LDAP assertion control (RFC 4528): the server performs the modify or
 * delete only if the entry matches the filter, atomically. Roster asserts
 * its marker, so an entry that stopped being Roster's since the plan is
 * refused by the server (result 122, assertionFailed) without a read first:
 * a freeze stays one operation.
 */
export class AssertionControl extends Control {
  static readonly type = '1.3.6.1.1.12';

  constructor(private readonly attribute: string, private readonly value: string) {
    super(AssertionControl.type, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    const inner = new BerWriter();
    new EqualityFilter({ attribute: this.attribute, value: this.value }).write(inner);
    writer.writeBuffer(inner.buffer, 0x04);
  }
}

/** The assertion that the entry still carries this marker. */
export function markerAssertion(marker: string): AssertionControl {
  return new AssertionControl('description', marker);
}

/** Result code 122: the entry no longer matched the assertion. */
export function isAssertionFailure(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 122;
}
