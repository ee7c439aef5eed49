/**
 * Child process for the crash test: `node --import tsx agent-crash.ts <install dir> <store dir> <id> <n>`
 * runs the agent once and SIGKILLs itself right after the n-th file of the new version reached the disk.
 */
import { runOnce } from '../../agent';

const [installDir, storeDir, certificateId, killAfter] = process.argv.slice(2);
if (!installDir || !storeDir || !certificateId || !killAfter) throw new Error('usage: agent-crash.ts <install dir> <store dir> <id> <files before the kill>');
let written = 0;
await runOnce({
  certificateIds: [certificateId],
  installDir,
  source: { kind: 'local', storeDir },
  logSink: () => {},
  installHooks: {
    afterFileWritten: () => {
      if (++written === Number(killAfter)) process.kill(process.pid, 'SIGKILL');
    },
  },
});
throw new Error('the install finished before the kill');
