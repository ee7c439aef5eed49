/**
 * The certificate id: the one identifier every part of certflow shares (request, state, secret
 * names, events, the agent's directories). It becomes a path and a secret name, hence the
 * narrow alphabet.
 */
import { z } from 'zod';
import { shown } from './parse';

export const CERTIFICATE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The rule in words, for messages. */
export const CERTIFICATE_ID_RULE = '1–64 of a-z 0-9 . _ - starting with a letter or digit';

export const CertificateIdSchema = z.string().regex(CERTIFICATE_ID, { error: (issue) => `must be ${CERTIFICATE_ID_RULE} (got ${shown(issue.input)})` });

/**
 * A host group's name (config `subscribers[].name`): its queues are `certflow-<group>-<host>`, its
 * topic, policy and alarms carry it. Hosts report it (ADR 0016).
 */
export const GROUP_NAME = /^[A-Za-z0-9-]{1,40}$/;
export const GROUP_NAME_RULE = '1–40 of A-Z a-z 0-9 -';
