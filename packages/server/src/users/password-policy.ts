import { PASSWORD_MAX_LENGTH } from '@gatehouse/contract';

export const PASSWORD_MIN_LENGTH = 8;

/**
 * NIST SP 800-63B: a minimum length and a generous maximum, no composition rules. Returns the reasons a
 * password is refused (empty when it is accepted).
 */
export function passwordProblems(password: string): string[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return [`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`];
  }
  if (length > PASSWORD_MAX_LENGTH)
    return [`Ensure this field has no more than ${PASSWORD_MAX_LENGTH} characters.`];
  return [];
}
