// The ACME part of the worker: the IssuerBackend for ACME issuers, the Order and Challenge
// controllers, and the renewal-information (ARI) controller. worker/main.ts starts these with the other controllers (leader only).
import type { Controller } from '../context.ts';
import type { AcmeContext } from './runtime.ts';
import { createAcmeBackend } from './backend.ts';
import { createOrderController } from './orders/controller.ts';
import { createChallengeController } from './challenges/controller.ts';
import { createRenewalInfoController } from './renewal-info.ts';

export { createAcmeBackend };

export function createAcmeControllers(ctx: AcmeContext): Controller[] {
  return [createOrderController(ctx), createChallengeController(ctx), createRenewalInfoController(ctx)];
}
