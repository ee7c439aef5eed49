#!/usr/bin/env node
/** The CDK app: `npx cdk synth` (offline, no credentials, no Docker) or `npx cdk deploy` (cdk.json runs it through bin/app.ts). */
import { App } from 'aws-cdk-lib';
import config from '../certflow.config';
import { CertflowStack } from '../infra/certflow-stack';
import type { CertflowConfig } from '../infra/config';
import { guardExampleValues } from '../infra/example-values';
import { applyNagChecks } from '../infra/nag';

export const STACK_NAME = 'Certflow';

export function buildApp(app = new App(), stackConfig: CertflowConfig = config): { app: App; stack: CertflowStack } {
  const stack = new CertflowStack(app, STACK_NAME, { config: stackConfig, description: 'certflow: ACME DNS-01 certificate renewal' });
  applyNagChecks(app, stack, stackConfig);
  guardExampleValues(stack, stackConfig);
  return { app, stack };
}

if (process.argv[1] && /bin[\\/]certflow\.ts$/.test(process.argv[1])) buildApp().app.synth();

