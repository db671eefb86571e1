import { Checkbox } from '../../../components/ui/checkbox';
import './admin.css';

export interface NamePickerProps {
  legend: string;
  /** Every name that may be picked (the roles, or the groups), in order. */
  names: readonly string[];
  value: readonly string[];
  onChange: (names: string[]) => void;
  disabled?: boolean;
  empty: string;
}

/** A set of roles (or groups) to pick from, as checkboxes labelled with their names. */
export function NamePicker({ legend, names, value, onChange, disabled, empty }: NamePickerProps) {
  return (
    <fieldset className="admin-fieldset" disabled={disabled}>
      <legend>{legend}</legend>
      {names.length === 0 && <p className="admin-muted">{empty}</p>}
      {names.map((name) => (
        <Checkbox
          key={name}
          label={name}
          checked={value.includes(name)}
          onChange={(event) =>
            onChange(event.target.checked ? [...value, name] : value.filter((item) => item !== name))
          }
        />
      ))}
    </fieldset>
  );
}
