// Baseline child for node:child_process IPC with `serialization: 'advanced'` (structured clone):
// what a Node-only user would pick instead of Multifrost.
process.on('message', (msg: { id: number; fn: string; args: unknown[] }) => {
  const result = msg.fn === 'add' ? (msg.args[0] as number) + (msg.args[1] as number) : msg.args[0];
  process.send!({ id: msg.id, result });
});
process.on('disconnect', () => process.exit(0));
