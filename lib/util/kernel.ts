/** True when this process is a tslab Jupyter kernel (its main script is tslab's and it runs `kernel`). */
export function inTslabKernel(): boolean {
  const main = process.argv[1] ?? '';
  return /(^|[\\/])tslab([\\/]bin[\\/]tslab|[\\/]dist[\\/]main\.js)?$/.test(main) && process.argv.includes('kernel');
}
