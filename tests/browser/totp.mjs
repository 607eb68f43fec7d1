// TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) computed with
// node:crypto from the Base32 secret the enrolment screen shows, as an
// authenticator app would.
import { createHmac } from "node:crypto";

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not Base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The current 30-second step. */
export function currentStep() {
  return Math.floor(Date.now() / 1000 / 30);
}

/** The 6-digit code of `secret` (Base32) for time step `step`. */
export function totp(secret, step = currentStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(binary).padStart(6, "0");
}

// RFC 6238 appendix B, SHA-1: the ASCII secret "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
if (totp(rfcSecret, Math.floor(59 / 30)) !== "287082") {
  throw new Error("TOTP does not match RFC 6238");
}
