/** `streamsoak token --user ID [--ttl 1h] [--admin]`: prints a JWT signed with JWT_ACCESS_SECRET. */
import { UsageError } from '../../core/errors.js';
import { signToken } from '../../core/jwt.js';
import { parseArgsOrUsage, parseDurationFlag } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { println, type CliIo } from '../io.js';

const HELP = `usage: streamsoak token --user ID [--ttl 1h] [--admin]

Prints an HS256 token for the reference server, signed with JWT_ACCESS_SECRET.
  --user ID    the user id (the token's sub claim)
  --ttl D      lifetime (30m, 1h, 168h); default 1h
  --admin      adds the admin claim (publish to any user, broadcast)`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgsOrUsage(
    {
      args,
      options: {
        user: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        admin: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    },
    HELP,
  );
  if (values.help) {
    println(io.stdout, HELP);
    return EXIT.ok;
  }
  if (values.user === undefined || values.user.length === 0) throw new UsageError(`--user is required\n\n${HELP}`);
  const ttlMs = parseDurationFlag('--ttl', values.ttl, { minMs: 1_000 });
  const secret = io.env.JWT_ACCESS_SECRET;
  if (secret === undefined || secret.length === 0) throw new UsageError('JWT_ACCESS_SECRET is not set: the token is signed with it');
  const token = await signToken({ userId: values.user, secret, ttlSeconds: Math.floor(ttlMs / 1_000), admin: values.admin });
  println(io.stdout, token);
  return EXIT.ok;
}
