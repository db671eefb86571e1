import type { NewAuditEntry } from '../../store/audit/store.js';
import type { User } from '../../store/users/store.js';

/** A Gatehouse account as the import compares it with its Django user. */
export interface ImportTargetUser {
  id: number;
  publicId: string;
  username: string;
  usernameKey: string;
  email: string | null;
  firstName: string;
  lastName: string;
  profileEmail: string;
  passwordHash: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  lastLogin: Date | null;
  created: Date;
  /** The Django user it was imported from, if it was. */
  djangoId: number | null;
}

/** A Django user as Gatehouse stores it: identifiers canonical, the hash as Django wrote it. */
export interface ImportedUser {
  djangoId: number;
  publicId: string;
  username: string;
  usernameKey: string;
  email: string | null;
  firstName: string;
  lastName: string;
  profileEmail: string;
  passwordHash: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  lastLogin: Date | null;
  created: Date;
}

export interface ImportedToken {
  jti: string;
  djangoUserId: number;
  expiresAt: Date;
  /** Set: the old site had blacklisted it; it stays refused. */
  blacklistedAt: Date | null;
}

/** A Django group as Gatehouse keeps it: a group of that name holding one role of that name. */
export interface ImportedGroup {
  djangoId: number;
  name: string;
  /** `app_label:codename`, lower case. */
  permissions: string[];
  /** The Django ids of its members (those imported join the group). */
  members: number[];
}

/** The role and group names taken, and which Django group each imported one came from. */
export interface GroupTargets {
  roles: Set<string>;
  groups: Set<string>;
  /** Django group id → the name of the group it became. */
  imported: Map<number, string>;
}

export interface DjangoImportChanges {
  create: ImportedUser[];
  /** `passwordHash` undefined: the account's hash is left as it is (its owner has signed in here since). */
  update: (Omit<ImportedUser, 'passwordHash'> & { userId: number; passwordHash?: string })[];
  tokens: ImportedToken[];
  /** Groups new here, and groups imported before, kept in step (role permissions, imported members). */
  groups?: { create: ImportedGroup[]; update: ImportedGroup[] };
  audit: NewAuditEntry;
}

/** The store slice of the Django import and of the old deployment's tokens. */
export interface DjangoStore {
  /** Every account, with the Django id of those imported. */
  listImportTargets(): Promise<ImportTargetUser[]>;
  listGroupTargets(): Promise<GroupTargets>;
  /**
   * All of it in one transaction: accounts created and updated (a deactivated one's sessions end), their
   * Django ids recorded, the tokens merged (a blacklisted one is never un-blacklisted), the audit entry.
   */
  applyDjangoImport(changes: DjangoImportChanges, now: Date): Promise<void>;
  /**
   * The account the Django user `djangoId` became, and when all of its sessions last ended here (null:
   * never): the old deployment's tokens issued before that are refused.
   */
  findDjangoUser(djangoId: number): Promise<{ user: User; sessionsEndedAt: Date | null } | undefined>;
  /** Whether the old deployment's refresh token `jti` is blacklisted (there, or spent here). */
  isDjangoTokenBlacklisted(jti: string): Promise<boolean>;
  /**
   * Blacklists an old refresh token as it is used here: true when this call did (a compare-and-set, so
   * that two refreshes racing with one token get one session), false when it was blacklisted already.
   */
  spendDjangoToken(token: Omit<ImportedToken, 'blacklistedAt'>, now: Date): Promise<boolean>;
  /** When the last import ran, and the latest expiry of an imported token not blacklisted. */
  djangoTokenHorizon(): Promise<{ lastImport: Date | undefined; newestToken: Date | undefined }>;
}
