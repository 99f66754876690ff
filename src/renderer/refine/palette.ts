// The Colour brush's palette (plain data, so the tests read the same colours the app offers).

/** Memory colours for the Colour brush: what people remember of skin, sky, foliage, wood and fabric. */
export const PALETTE: { name: string; color: string }[] = [
  { name: 'Fair skin', color: '#e8c4a8' },
  { name: 'Warm skin', color: '#c99a78' },
  { name: 'Deep skin', color: '#8a5a3c' },
  { name: 'Lips', color: '#b86a66' },
  { name: 'Blond hair', color: '#c8a868' },
  { name: 'Brown hair', color: '#5a4030' },
  { name: 'Sky', color: '#7fa7d8' },
  { name: 'Overcast sky', color: '#b4c2cf' },
  { name: 'Foliage', color: '#5f7f3a' },
  { name: 'Grass', color: '#7d9a48' },
  { name: 'Wood', color: '#8a6340' },
  { name: 'Brick', color: '#9c5240' },
  { name: 'Navy fabric', color: '#2e3f66' },
  { name: 'Red fabric', color: '#a0343a' },
  { name: 'Khaki fabric', color: '#a89a70' },
];
