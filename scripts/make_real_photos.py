#!/usr/bin/env python3
"""Re-create testdata/real-photos/*.jpg|png and manifest.tsv from package files.

Called by scripts/make-real-photos.sh after it has downloaded and unpacked the
exact package versions listed below into SRC (default /tmp/photosrc):

  SRC/deb/<package>/...   (dpkg-deb -x of the .deb)
  SRC/pypi/<package>/...  (unzip of the wheel)

Needs Pillow only.  Usage: make_real_photos.py SRC OUTDIR
"""
import bz2
import io
import os
import pickle
import sys

from PIL import Image, ImageCms, ImageOps

MAX_SIDE = 640
MAX_BYTES = 150 * 1024
QUALITY = 85

# Package versions (must match make-real-photos.sh).
VERSIONS = {
    "plasma-workspace-wallpapers": "4:5.27.5-2",
    "lomiri-wallpapers-16.04": "20.04.0-2",
    "lomiri-wallpapers-20.04": "20.04.0-2",
    "lxqt-themes": "1.2.0-1",
    "mate-backgrounds": "1.26.0-1",
    "scikit-image": "0.26.0",
    "scipy": "1.9.3",
}
KIND = {
    "plasma-workspace-wallpapers": "debian",
    "lomiri-wallpapers-16.04": "debian",
    "lomiri-wallpapers-20.04": "debian",
    "lxqt-themes": "debian",
    "mate-backgrounds": "debian",
    "scikit-image": "pypi",
    "scipy": "pypi",
}

LIC_PLASMA = "GPL-2+ (debian/copyright, Files: *; upstream metadata.json says LGPLv3)"
LIC_LXQT = "CC-BY-SA-3.0 (wallpapers/License; debian/copyright, Files: *, says LGPL-2.1+)"
LIC_MATE = "GPL-2+"

PW = "/usr/share/wallpapers/%s/contents/images/2560x1600.jpg"
L16 = "/usr/share/backgrounds/%s"
LXQ = "/usr/share/lxqt/wallpapers/%s"
MAT = "/usr/share/backgrounds/mate/nature/%s"

# (file, package, path_in_package, licence, author_or_credit, subject, tags)
PHOTOS = [
    ("01-jetty-lake-clouds.jpg", "plasma-workspace-wallpapers", PW % "BytheWater", LIC_PLASMA, "Maciej Wiklo",
     "wooden jetty boards over a lake, treeline and cloudy sky, toned colours", "water,sky"),
    ("02-fog-pier.jpg", "plasma-workspace-wallpapers", PW % "ColdRipple", LIC_PLASMA, "Risto Saukonpää",
     "pier into still water in thick fog, nearly monochrome", "fog,water,grayscale,highkey"),
    ("03-colorful-cups.jpg", "plasma-workspace-wallpapers", PW % "ColorfulCups", LIC_PLASMA, "Dmitri Popov",
     "stacked paper cups seen from above, close-up", "macro"),
    ("04-lake-blue-hour-fog.jpg", "plasma-workspace-wallpapers", PW % "DarkestHour", LIC_PLASMA, "Risto Saukonpää",
     "misty lake and islands in deep blue pre-dawn twilight", "night,dusk,fog,water,sky,lowkey"),
    ("05-boats-sunset.jpg", "plasma-workspace-wallpapers", PW % "EveningGlow", LIC_PLASMA, "Ian Hex",
     "rowing boats on a lake shore under a sunset sky", "dusk,water,sky,mountain"),
    ("06-fallen-leaf.jpg", "plasma-workspace-wallpapers", PW % "FallenLeaf", LIC_PLASMA, "Martin Klapetek",
     "autumn leaves on the ground, shallow focus", "macro,vegetation"),
    ("07-facade-bands.jpg", "plasma-workspace-wallpapers", PW % "Grey", LIC_PLASMA, "Sigi Sagi",
     "curved metal bands of a building facade, black and white", "city,grayscale"),
    ("08-kite-sky.jpg", "plasma-workspace-wallpapers", PW % "Kite", LIC_PLASMA, "Risto Saukonpää",
     "small kite in a deep blue sky with clouds", "sky"),
    ("09-haircap-moss.jpg", "plasma-workspace-wallpapers", PW % "OneStandsOut", LIC_PLASMA, "Risto Saukonpää",
     "haircap moss seen from above, one orange shoot, patch of bare soil", "forest,vegetation,macro"),
    ("10-forest-path.jpg", "plasma-workspace-wallpapers", PW % "Path", LIC_PLASMA, "Risto Saukonpää",
     "path through a dark spruce forest", "forest,vegetation,lowkey"),
    ("11-lake-summer-night.jpg", "plasma-workspace-wallpapers", PW % "summer_1am", LIC_PLASMA, "Risto Saukonpää",
     "calm lake under a pink and violet summer-night sky", "dusk,night,water,sky"),
    ("12-bridge-cables-tidal-flat.jpg", "lomiri-wallpapers-16.04", L16 % "Bridge_by_Sander_Klootwijk.jpg", "CC-BY-SA-4.0",
     "Sander Klootwijk", "bridge cables and struts against a blue sky above a tidal flat", "sky,water"),
    ("13-dragonfly-leaves.jpg", "lomiri-wallpapers-16.04", L16 % "Dragonfly_by_Bolly.jpg", "CC-BY-SA-4.0",
     "Bolly", "dragonfly on a twig in front of sunlit leaves and blue sky", "animal,macro,vegetation,sky"),
    ("14-fig-in-bowl.jpg", "lomiri-wallpapers-16.04", L16 % "Picture_0B_by_freespace.jpg", "CC-BY-4.0",
     "Trevor \"Freespace\"", "half fig in a red bowl on grey stone, hard shadow", "macro"),
    ("15-paint-brushes.jpg", "lomiri-wallpapers-16.04", L16 % "Picture_1A_by_freespace.jpg", "CC-BY-4.0",
     "Trevor \"Freespace\"", "colourful used paint brushes, close-up", "macro,interior"),
    ("16-room-drum-wine.jpg", "lomiri-wallpapers-16.04", L16 % "Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0",
     "Jakub Mede", "living-room interior with a drum, a beanbag and wine", "interior"),
    ("17-mountain-autumn-meadow.jpg", "lomiri-wallpapers-16.04", L16 % "aitzgorri_by_Aitzol_Berasategi.jpg",
     "CC-BY-4.0", "Aitzol Berasategi", "rocky mountain ridge above autumn woods and a green meadow",
     "mountain,sky,vegetation,forest"),
    ("18-lamp-bird-ceiling.jpg", "lomiri-wallpapers-16.04", L16 % "free_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0",
     "Peter Nerlich", "toy bird hanging under glowing globe lamps, bright ceiling", "interior,highkey"),
    ("19-dogs-window.jpg", "lomiri-wallpapers-16.04", L16 % "friends_by_Aitzol_Berasategi.jpg", "CC-BY-4.0",
     "Aitzol Berasategi", "two spaniels looking out of a wooden house window", "animal"),
    ("20-wall-clock.jpg", "lomiri-wallpapers-16.04", L16 % "greentock_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0",
     "Peter Nerlich", "white wall clock seen at an angle, backlit numerals", "interior,highkey"),
    ("21-forest-stream.jpg", "lomiri-wallpapers-16.04", L16 % "life_by_Aitzol_Berasategi.jpg", "CC-BY-4.0",
     "Aitzol Berasategi", "small stream cascading over rocks in a forest", "forest,water,vegetation"),
    ("22-mountains-snow-path.jpg", "lomiri-wallpapers-16.04", L16 % "picosdeeuropa_by_Aitzol_Berasategi.jpg",
     "CC-BY-4.0", "Aitzol Berasategi", "limestone peaks with snow patches above a grassy path",
     "mountain,snow,sky"),
    ("23-dandelions-backlit.jpg", "lomiri-wallpapers-16.04", L16 % "seeding_by_Clements_Engelhardt.jpg", "CC0-1.0",
     "Clemens Engelhardt", "dandelion seed heads in a meadow, low evening sun", "macro,vegetation,dusk"),
    ("24-sunset-hilltop.jpg", "lomiri-wallpapers-16.04", L16 % "sunset_by_Aitzol_Berasategi.jpg", "CC-BY-4.0",
     "Aitzol Berasategi", "sun setting over distant hills, grassy summit with snow patches and a survey pillar", "dusk,sky,mountain,snow"),
    ("25-nuthatch-tree.jpg", "lomiri-wallpapers-20.04", L16 % "Kleiber_by_Lukas_Baubkus.jpg", "CC-BY-SA-3.0",
     "Lukas Baubkus", "nuthatch climbing down a tree trunk, bright blurred background", "animal,macro,vegetation"),
    ("26-butterfly-pale.jpg", "lxqt-themes", LXQ % "Butterfly-Kenneth-Wimer.jpg", LIC_LXQT, "Kenneth Wimer (per file name)",
     "small butterfly on a plant stem, pale blurred background", "macro,animal,highkey"),
    ("27-mountains-dusk.jpg", "lxqt-themes", LXQ % "Valendas.png", LIC_LXQT, "LXQt Project Team",
     "layered mountain ridges under a heavy evening sky", "mountain,sky,dusk,lowkey"),
    ("28-clouds-after-rain.jpg", "lxqt-themes", LXQ % "after-the-rain.jpg", LIC_LXQT, "stefonarch",
     "dark cumulus clouds lit orange at sunset over a black horizon", "dusk,sky,lowkey"),
    ("29-apple-blossom.jpg", "lxqt-themes", LXQ % "appleflower.png", LIC_LXQT, "stefonarch",
     "apple blossom twig against a green blur", "macro,vegetation"),
    ("30-sun-beams-valley.jpg", "lxqt-themes", LXQ % "beam.png", LIC_LXQT, "stefonarch",
     "sun beams through clouds over dark wooded hills", "sky,mountain,lowkey"),
    ("31-swallowtail-scabious.jpg", "lxqt-themes", LXQ % "butterfly.png", LIC_LXQT, "stefonarch",
     "scarce swallowtail on a purple scabious flower, dark blurred background", "macro,animal,lowkey"),
    ("32-cloud-field.jpg", "lxqt-themes", LXQ % "cloud.png", LIC_LXQT, "LXQt Project Team",
     "field of small clouds in a blue sky", "sky"),
    ("33-dew-drop-grass.jpg", "lxqt-themes", LXQ % "drop.png", LIC_LXQT, "stefonarch",
     "water drop hanging from a grass blade", "macro,vegetation,water"),
    ("34-meadow-flowers.jpg", "lxqt-themes", LXQ % "flowers.png", LIC_LXQT, "stefonarch",
     "pink and blue anemones in a meadow, shallow focus", "vegetation,macro"),
    ("35-fog-hills.jpg", "lxqt-themes", LXQ % "fog.jpg", LIC_LXQT, "stefonarch",
     "fog bank rolling over a brown field below a blue sky", "fog,sky"),
    ("36-green-hills-sky.jpg", "lxqt-themes", LXQ % "this-is-not-windows.jpg", LIC_LXQT, "stefonarch",
     "green rolling hills and bare trees under a clear blue sky, ploughed field in front", "sky,vegetation"),
    ("37-water-drop-splash.jpg", "mate-backgrounds", MAT % "Aqua.jpg", LIC_MATE, "Charles Barbin",
     "drop splashing into water, cool tones", "macro,water"),
    ("38-leaf-veins.jpg", "mate-backgrounds", MAT % "Blinds.jpg", LIC_MATE, "Lennart Poettering",
     "backlit green leaf with parallel veins", "macro,vegetation"),
    ("39-dune-grass-sea.jpg", "mate-backgrounds", MAT % "Dune.jpg", LIC_MATE, "Marco Cogoni",
     "dune grass in front of the sea and a pale sky", "sea,water,sky,vegetation"),
    ("40-green-grass.jpg", "mate-backgrounds", MAT % "GreenMeadow.jpg", LIC_MATE, "Timothy Schellhase",
     "dense young green grass blades", "vegetation,macro"),
    ("41-ladybird.jpg", "mate-backgrounds", MAT % "LadyBird.jpg", LIC_MATE, "Charles Barbin",
     "ladybird on a grass blade among forget-me-nots", "macro,animal,vegetation"),
    ("42-raindrops-leaves.jpg", "mate-backgrounds", MAT % "RainDrops.jpg", LIC_MATE,
     "blackcombwhistler07 (nickname in debian/copyright)", "rain drops on broad green leaves", "macro,vegetation,water"),
    ("43-storm-road.jpg", "mate-backgrounds", MAT % "Storm.jpg", LIC_MATE, "Sergey Nazarov",
     "storm clouds over dark fields seen from a moving car, guard rail and road", "sky,lowkey"),
    ("44-wood-grain.jpg", "mate-backgrounds", MAT % "Wood.jpg", LIC_MATE, "Jean-François Fortin Tam",
     "pale weathered wooden boards in perspective", "highkey,macro"),
    ("45-yellow-flower.jpg", "mate-backgrounds", MAT % "YellowFlower.jpg", LIC_MATE, "Charles Barbin",
     "yellow flower petals close-up on dark background", "macro,vegetation"),
    ("46-astronaut-portrait.jpg", "scikit-image", "skimage/data/astronaut.png",
     "Public domain (\"No known copyright restrictions, released into the public domain\", skimage/data/_fetchers.py)",
     "NASA", "portrait of astronaut Eileen Collins with flag and shuttle model", "face,interior"),
    ("47-cameraman-gray.png", "scikit-image", "skimage/data/camera.png",
     "CC0-1.0 (\"No copyright restrictions. CC0 by the photographer\", skimage/data/_fetchers.py)",
     "Lav Varshney", "man with a camera on a tripod on a lawn, buildings behind", "face,grayscale,city"),
    ("48-cat-chelsea.jpg", "scikit-image", "skimage/data/chelsea.png",
     "CC0-1.0 (\"No copyright restrictions. CC0 by the photographer\", skimage/data/_fetchers.py)",
     "Stefan van der Walt", "close-up of a tabby cat's face", "animal,face,macro"),
    ("49-coffee-cup.jpg", "scikit-image", "skimage/data/coffee.png",
     "CC0-1.0 (\"No copyright restrictions. CC0 by the photographer\", skimage/data/_fetchers.py)",
     "Rachel Michetti (courtesy of Pikolo Espresso Bar)", "espresso cup on a saucer on a wooden table",
     "interior,macro"),
    ("50-rocket-launchpad-night.jpg", "scikit-image", "skimage/data/rocket.jpg",
     "Public domain (\"released in the public domain\" by SpaceX, skimage/data/_fetchers.py)",
     "SpaceX", "Falcon 9 rocket between lightning towers on the launch pad at dusk, floodlights", "night,dusk,sky,city"),
    ("51-greek-coins-gray.jpg", "scikit-image", "skimage/data/coins.png",
     "No known copyright restrictions (Brooklyn Museum Collection, skimage/data/_fetchers.py)",
     "Brooklyn Museum", "Greek coins from Pompeii on a dark background", "grayscale,macro,lowkey"),
    ("52-raccoon-face.jpg", "scipy", "scipy/misc/face.dat",
     "Public domain (derived from raccoon-procyon-lotor.jpg at public-domain-image.com, scipy/misc/_common.py)",
     "public-domain-image.com", "raccoon face among green leaves", "animal,face,vegetation"),
    ("53-stairs-ascent-gray.png", "scipy", "scipy/misc/ascent.dat",
     "Public domain (derived from accent-to-the-top.jpg at public-domain-image.com, scipy/misc/_common.py)",
     "public-domain-image.com", "people climbing an outdoor steel staircase, black and white",
     "grayscale,city"),
]

PYPI_DIR = {"scikit-image": "scikit-image", "scipy": "scipy"}


class _NoGlobals(pickle.Unpickler):
    """ascent.dat is a pickle of plain nested lists; refuse anything else."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))


def load(src, pkg, path):
    if KIND[pkg] == "debian":
        full = os.path.join(src, "deb", pkg, path.lstrip("/"))
    else:
        full = os.path.join(src, "pypi", PYPI_DIR[pkg], path)
    if path.endswith("face.dat"):
        data = bz2.decompress(open(full, "rb").read())
        return Image.frombytes("RGB", (1024, 768), data)
    if path.endswith("ascent.dat"):
        rows = _NoGlobals(open(full, "rb")).load()
        im = Image.new("L", (len(rows[0]), len(rows)))
        im.putdata([v for r in rows for v in r])
        return im
    im = Image.open(full)
    im.load()
    return im


def to_srgb(im):
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "RGBA"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            im = ImageCms.profileToProfile(im.convert("RGB"), src, dst, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    return im


def prepare(im):
    im = ImageOps.exif_transpose(im)
    im = to_srgb(im)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (0, 0, 0))
        bg.paste(im, mask=im.split()[3])
        im = bg
    elif im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    w, h = im.size
    scale = min(1.0, MAX_SIDE / max(w, h))
    if scale < 1.0:
        im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    return im


def save(im, out):
    if out.endswith(".png"):
        im.save(out, "PNG", optimize=True)
        if os.path.getsize(out) > MAX_BYTES:
            raise SystemExit("%s is over %d bytes" % (out, MAX_BYTES))
        return
    q = QUALITY
    while True:
        im.save(out, "JPEG", quality=q, optimize=True, progressive=False)
        if os.path.getsize(out) <= MAX_BYTES or q <= 60:
            break
        q -= 5
    if os.path.getsize(out) > MAX_BYTES:
        raise SystemExit("%s is over %d bytes" % (out, MAX_BYTES))


def main():
    src, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    rows = []
    for fname, pkg, path, lic, credit, subject, tags in PHOTOS:
        im = prepare(load(src, pkg, path))
        out = os.path.join(outdir, fname)
        save(im, out)
        print("%-34s %4dx%-4d %6d B  %s" % (fname, im.size[0], im.size[1], os.path.getsize(out), im.mode))
        rows.append([fname, KIND[pkg], pkg, VERSIONS[pkg], path, lic, credit, subject, tags])
    with open(os.path.join(outdir, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write("\t".join(["file", "source_kind", "package", "package_version", "path_in_package",
                           "licence", "author_or_credit", "subject", "tags"]) + "\n")
        for r in rows:
            assert not any("\t" in c or "\n" in c for c in r)
            f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
