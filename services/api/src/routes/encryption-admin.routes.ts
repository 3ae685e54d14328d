import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { cradleOf } from '@paysync/runtime';

import { rotateEncryptionKeysSchema } from './encryption-admin.schemas.js';

import type { ApiCradle } from '../container.js';

/** Operator routes of the encryption key ring (admin token only, like creating a workspace). */
export const encryptionAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { encryptionKeyRotation } = cradleOf<ApiCradle>(app);

  app.post(
    '/admin/encryption/rotate',
    { config: { access: 'admin', resource: 'encryption_key' }, schema: rotateEncryptionKeysSchema },
    async (req) => {
      const report = await encryptionKeyRotation.rotate({ batchSize: req.body.batchSize });
      const { failures, ...counts } = report;
      // The audit hook writes the row (actor admin, no workspace) with these counts.
      req.auditNote = {
        resourceId: report.activeKeyId,
        details: { ...counts, failures: failures.slice(0, 20) },
      };
      return { ...report, failures: [...failures] };
    },
  );
};
