#!/usr/bin/env node
/** The CDK app: `npx cdk synth` (offline, no credentials, no Docker) or `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { CertflowStack } from '../infra/certflow-stack';
import { exampleConfig } from '../infra/config';

export const STACK_NAME = 'Certflow';

export function buildApp(app = new App()): { app: App; stack: CertflowStack } {
  const stack = new CertflowStack(app, STACK_NAME, { config: exampleConfig, description: 'certflow: ACME DNS-01 certificate renewal' });
  return { app, stack };
}

if (process.argv[1] && /bin[\\/]certflow\.ts$/.test(process.argv[1])) buildApp().app.synth();
