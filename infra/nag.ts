/**
 * cdk-nag (AwsSolutions) runs on every synth and in the tests: zero unacknowledged findings.
 * Each acknowledgement names the exact finding and says why it does not apply.
 */
import { Validations, type App, type CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CertflowStack } from './certflow-stack';
import type { CertflowConfig } from './config';
import { RENEW_STATE_MACHINE_NAME } from './iam';

const secretArn = (path: string) => `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${path}`;
const SECRET_SUFFIX = 'Secrets Manager appends a random suffix to every secret ARN, so a secret can only be named by a path wildcard';

function acknowledgements(config: CertflowConfig): { id: string; reason: string }[] {
  const prefix = config.secretPrefix;
  const found = [
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}certificates/*`)}]`, reason: `Certificate secrets under the pipeline's prefix only; ${SECRET_SUFFIX}.` },
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}pending/*`)}]`, reason: `Private keys of orders in flight, under the pipeline's prefix only; ${SECRET_SUFFIX}.` },
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}leases/*`)}]`, reason: `Renewal leases (which execution renews a certificate; no private material), under the pipeline's prefix only; ${SECRET_SUFFIX}.` },
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}accounts/*`)}]`, reason: `ACME account secrets under the pipeline's prefix only; ${SECRET_SUFFIX}.` },
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}eab/*`)}]`, reason: `Read-only: External Account Binding credentials under the pipeline's prefix; ${SECRET_SUFFIX}.` },
    { id: `AwsSolutions-IAM5[Resource::${secretArn(`${prefix}passwords/*`)}]`, reason: `Read-only: keystore passwords given by reference, under the pipeline's prefix; ${SECRET_SUFFIX}.` },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${RENEW_STATE_MACHINE_NAME}:*]`,
      reason: "states:DescribeExecution only (CreateOrder: is a renewal lease's holder still running?); the holder's execution name is known only at run time.",
    },
    { id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]', reason: 'route53:GetChange only; change ids are not known before the change is submitted.' },
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray (PutTraceSegments, PutTelemetryRecords), Step Functions log delivery (logs:*LogDelivery*) and sqs:ListQueues (the served check reads the host groups\' queue names) accept no resource scoping.' },
    { id: 'AwsSolutions-L1', reason: 'The Lambdas target nodejs22.x deliberately (the tested runtime); runtime upgrades are a reviewed change.' },
  ];
  if (config.hostedZones.some((zone) => !zone.id)) {
    found.push({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::hostedzone/*]',
      reason: 'A hosted zone is configured by name only (looked up at run time); changes stay limited to TXT records named _acme-challenge.* by condition keys. Configure zone ids to pin it.',
    });
  }
  return found;
}

export function applyNagChecks(app: App, stack: CertflowStack, config: CertflowConfig): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  for (const acknowledgement of acknowledgements(config)) Validations.of(stack).acknowledge(acknowledgement);
  // CDK's LambdaInvoke grants lambda:InvokeFunction on `<function arn>` and `<function arn>:*` (its versions).
  for (const fn of Object.values(stack.stepLambdas)) {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    for (const machine of [stack.renewCertificate, stack.scanCertificates, stack.revokeCertificate, stack.checkServed]) {
      Validations.of(machine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: 'lambda:InvokeFunction on this step function and its versions only, as granted by LambdaInvoke.',
      });
    }
  }
  // startExecution.sync polls the child executions, whose names are generated: `execution:<machine>:*`.
  const renewLogicalId = stack.getLogicalId(stack.renewCertificate.node.defaultChild as CfnElement);
  Validations.of(stack.scanCertificates.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${renewLogicalId}"}]}]}*]`,
    reason: 'DescribeExecution/StopExecution on RenewCertificate executions started by the scan (their names are generated).',
  });
  Validations.of(stack.revokeCertificate.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${renewLogicalId}"}]}]}*]`,
    reason: 'DescribeExecution/StopExecution on the RenewCertificate execution a reissue starts (its name is generated).',
  });
}
