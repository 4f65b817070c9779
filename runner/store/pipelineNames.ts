import { randomInt } from 'node:crypto';

// Pronounceable syllables, as Conducto's pipeline names ("bei-hou").
const SYLLABLES = [
  'ba', 'bei', 'bo', 'cai', 'dan', 'dei', 'do', 'fa', 'fei', 'fu', 'gai', 'gao', 'go', 'hai', 'han',
  'hou', 'hu', 'jia', 'jin', 'ka', 'kai', 'ko', 'lan', 'lei', 'lo', 'lu', 'ma', 'mei', 'mo', 'na',
  'nei', 'no', 'pai', 'pei', 'po', 'qi', 'rai', 'ro', 'sa', 'sei', 'so', 'tai', 'tei', 'to', 'wa',
  'wei', 'xi', 'ya', 'yo', 'zai', 'zei', 'zo',
];

function syllable(): string {
  return SYLLABLES[randomInt(SYLLABLES.length)]!;
}

/** A short readable random name not yet taken, e.g. `bei-hou`; longer names once short ones run out. */
export function newPipelineName(taken: (name: string) => boolean): string {
  for (let parts = 2; ; parts++) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const name = Array.from({ length: parts }, syllable).join('-');
      if (!taken(name)) return name;
    }
  }
}
