import { TextField, type TextFieldProps } from '../../../components/ui/text-field';

/**
 * The field of a code from an authenticator app: numeric keyboard, the browser's one-time-code
 * autofill, spaces allowed (apps show `123 456`), 6 digits with room for an 8-digit app.
 */
export function CodeField(props: Omit<TextFieldProps, 'label' | 'name'>) {
  return (
    <TextField
      label="Authentication code"
      name="code"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9 ]*"
      maxLength={8}
      required
      {...props}
    />
  );
}
