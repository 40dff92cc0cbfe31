/** The body of POST /api/calls/emit, validated once at the boundary. */
import { z } from 'zod';

export const emitBodySchema = z
  .object({
    userId: z.string().min(1).max(256).optional(),
    broadcast: z.boolean().optional(),
    // A CR or LF would end the `event:` line early and let a caller inject fields into the stream.
    type: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[^\r\n]*$/, 'must not contain CR or LF')
      .optional(),
    data: z.unknown().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const targets = (body.userId !== undefined ? 1 : 0) + (body.broadcast === true ? 1 : 0);
    if (targets !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [body.userId !== undefined ? 'broadcast' : 'userId'],
        message: 'give exactly one of userId and broadcast: true',
      });
    }
  });

export type EmitBody = z.infer<typeof emitBodySchema>;
