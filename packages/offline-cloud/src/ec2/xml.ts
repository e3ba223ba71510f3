/**
 * The EC2 query protocol's response side: `<XxxResponse xmlns=...><requestId/>...</XxxResponse>`,
 * lists as `<xxxSet><item>..</item></xxxSet>`, errors as `<Response><Errors><Error>..`.
 */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlList | XmlValue[];
export interface XmlObject {
  [element: string]: XmlValue;
}
/** A list whose members are not `<item>` (e.g. a launch template NIC's `<groupSet><groupId>`). */
export class XmlList {
  constructor(
    readonly items: XmlValue[],
    readonly itemName: string,
  ) {}
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function renderValue(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) return renderValue(name, new XmlList(value, 'item'), out);
  if (value instanceof XmlList) {
    out.push(`<${name}>`);
    for (const item of value.items) renderValue(value.itemName, item, out);
    out.push(`</${name}>`);
    return;
  }
  if (value instanceof Date) return void out.push(`<${name}>${value.toISOString()}</${name}>`);
  if (typeof value === 'object') {
    out.push(`<${name}>`);
    renderFields(value, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

function renderFields(obj: XmlObject, out: string[]): void {
  for (const [k, v] of Object.entries(obj)) renderValue(k, v, out);
}

export function renderResponse(action: string, requestId: string, body: XmlObject): string {
  const out: string[] = [`<?xml version="1.0" encoding="UTF-8"?>`, `<${action}Response xmlns="${EC2_XMLNS}">`];
  out.push(`<requestId>${requestId}</requestId>`);
  renderFields(body, out);
  out.push(`</${action}Response>`);
  return out.join('');
}

export function renderError(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

/** Tags as EC2 renders them: `<tagSet><item><key/><value/></item></tagSet>`. */
export function renderTags(tags: ReadonlyArray<{ Key: string; Value: string }>): XmlObject[] {
  return tags.map((t) => ({ key: t.Key, value: t.Value }));
}
