import { renderSVG } from 'uqr';
import type { TotpSetup } from '@gatehouse/client';
import './mfa.css';

/** The key in groups of four, as people copy it by hand. */
export const groupSecret = (secret: string) => secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');

/** A new authenticator-app key: its QR code, drawn in the page, and the key itself to type instead. */
export function TotpKey({ setup }: { setup: TotpSetup }) {
  return (
    <div className="mfa-key">
      <div
        className="mfa-key__qr"
        role="img"
        aria-label="QR code for your authenticator app"
        // uqr's SVG of the otpauth URI: markup it generates, holding no text of the server's.
        dangerouslySetInnerHTML={{ __html: renderSVG(setup.otpauth_uri, { border: 2 }) }}
      />
      <div className="mfa-key__text">
        <p>Scan the QR code with your authenticator app, or enter this key:</p>
        <code className="mfa-key__secret" aria-label="Setup key">
          {groupSecret(setup.secret)}
        </code>
      </div>
    </div>
  );
}
