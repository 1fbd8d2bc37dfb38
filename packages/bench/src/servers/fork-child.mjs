// Baseline child for node:child_process IPC with serialization 'advanced' (structured clone).
process.on('message', (msg) => {
  const result = msg.fn === 'add' ? msg.args[0] + msg.args[1] : msg.args[0];
  process.send({ id: msg.id, result });
});
process.on('disconnect', () => process.exit(0));
