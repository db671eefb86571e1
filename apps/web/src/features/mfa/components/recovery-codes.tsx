import { useState } from 'react';
import { Alert } from '../../../components/ui/alert';
import { Button } from '../../../components/ui/button';
import './mfa.css';

/**
 * Recovery codes, shown this once: each lets the user in once without the authenticator app. Copy and
 * download (.txt) so they can be kept somewhere safe.
 */
export function RecoveryCodes({ codes }: { codes: readonly string[] }) {
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>(undefined);
  const text = `${codes.join('\n')}\n`;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'gatehouse-recovery-codes.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <section className="mfa-codes" aria-label="Recovery codes">
      <Alert tone="warning" title="Save your recovery codes now.">
        Each code signs you in once if you lose your authenticator app. They are not shown again.
      </Alert>
      <ul className="mfa-codes__list">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="mfa-row">
        <Button size="sm" variant="secondary" onClick={() => void copy()}>
          Copy
        </Button>
        <Button size="sm" variant="secondary" onClick={download}>
          Download (.txt)
        </Button>
        {copied === 'yes' && <span role="status">Copied.</span>}
        {copied === 'no' && <span role="status">Could not copy: select the codes instead.</span>}
      </div>
    </section>
  );
}
