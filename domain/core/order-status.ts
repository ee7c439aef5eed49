/** RFC 8555 §7.1.6 order states and what each means for our two poll loops. */
import { AcmeRequestRejected } from './errors';

const ORDER_STATUS = {
  pending: 'pending', // authorizations not yet all valid
  ready: 'ready', // all authorizations valid, waiting for finalize
  processing: 'processing', // finalized, certificate being issued
  valid: 'valid', // final: certificate available
  invalid: 'invalid', // final: some authorization failed, or the order expired
} as const;
type OrderStatus = (typeof ORDER_STATUS)[keyof typeof ORDER_STATUS];

export type PollVerdict = 'done' | 'waiting' | 'failed';

function known(status: string): OrderStatus {
  if ((Object.values(ORDER_STATUS) as string[]).includes(status)) return status as OrderStatus;
  throw new AcmeRequestRejected(`CA returned unknown order status '${status}'`);
}

/** After answering challenges: finalize once every authorization is valid. */
export function validationVerdict(status: string): PollVerdict {
  switch (known(status)) {
    case 'pending':
      return 'waiting';
    case 'ready':
    case 'processing': // a retried Finalize already went through
    case 'valid':
      return 'done';
    case 'invalid':
      return 'failed';
  }
}

/** After finalizing: download once the certificate is issued. */
export function issuanceVerdict(status: string): PollVerdict {
  switch (known(status)) {
    case 'pending':
    case 'ready':
    case 'processing':
      return 'waiting';
    case 'valid':
      return 'done';
    case 'invalid':
      return 'failed';
  }
}
