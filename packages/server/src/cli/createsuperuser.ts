import { problemMessage } from '../http/messages.js';
import { passwordProblems } from '../users/password-policy.js';
import type { CommandContext } from './commands.js';
import { createUser } from './commands.js';
import { CommandError, writeLine } from './io.js';
import { createPrompter } from './prompt.js';

export interface SuperuserOptions {
  username: string | undefined;
  email: string | undefined;
  password: string | undefined;
  noinput: boolean;
}

/**
 * As Django's createsuperuser: asks for what flags and GATEHOUSE_SUPERUSER_* variables do not give;
 * with --noinput everything must be given and the password policy applies. Interactively, a password
 * the policy refuses may be kept after an explicit yes. The address is marked verified: the operator
 * vouches for it, and mandatory email verification would otherwise keep the superuser out.
 */
export async function createSuperuser(ctx: CommandContext, options: SuperuserOptions): Promise<void> {
  const { env } = ctx.io;
  let username = options.username ?? env.GATEHOUSE_SUPERUSER_USERNAME;
  let email = options.email ?? env.GATEHOUSE_SUPERUSER_EMAIL;
  let password = options.password ?? env.GATEHOUSE_SUPERUSER_PASSWORD;

  if (options.noinput) {
    const missing = [
      !username && '--username',
      !email && '--email',
      !password && 'GATEHOUSE_SUPERUSER_PASSWORD',
    ];
    if (missing.some(Boolean))
      throw new CommandError(`--noinput needs ${missing.filter(Boolean).join(', ')}`);
    return createUser(ctx, {
      username: username as string,
      email: email as string,
      password: password as string,
      isStaff: true,
      isSuperuser: true,
      emailVerified: true,
    });
  }

  // Piped input is read to its end before the first question, so only open it when there is one to ask.
  if (username && email && password) {
    return createUser(ctx, {
      username,
      email,
      password,
      isStaff: true,
      isSuperuser: true,
      emailVerified: true,
    });
  }
  const prompt = await createPrompter(ctx.io);
  try {
    username ||= await prompt.ask('Username: ');
    email ||= await prompt.ask('Email address: ');
    let bypass = false;
    if (!password) {
      password = await prompt.askSecret('Password: ');
      const again = await prompt.askSecret('Password (again): ');
      if (password !== again) throw new CommandError('Error: Your passwords didn’t match.');
      const problems = passwordProblems(password, { username, email }, { minLength: ctx.passwordMinLength });
      if (problems.length > 0) {
        for (const problem of problems) writeLine(ctx.io.stderr, problemMessage(problem));
        const answer = await prompt.ask('Bypass password validation and create user anyway? [y/N]: ');
        if (!/^y(es)?$/i.test(answer.trim())) throw new CommandError('Superuser not created.');
        bypass = true;
      }
    }
    await createUser(ctx, {
      username,
      email: email || null,
      password,
      isStaff: true,
      isSuperuser: true,
      emailVerified: true,
      bypassPasswordPolicy: bypass,
    });
  } finally {
    prompt.close();
  }
}
