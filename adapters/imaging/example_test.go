package imaging_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/ideobus/ideobus/adapters/imaging"
	"github.com/ideobus/ideobus/messages"
)

func Example() {
	// An original, as the upload stage would hand it over.
	orig := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for i := range orig.Pix {
		orig.Pix[i] = 0xff
	}
	orig.Set(512, 384, color.Black)
	var src bytes.Buffer
	if err := png.Encode(&src, orig); err != nil {
		panic(err)
	}

	r := imaging.New(imaging.Options{})
	specs := messages.ResolveVariants([]messages.VariantSpec{
		{Name: "og-image"},
		{Name: "avatar", Width: 128, Height: 128, Format: messages.FormatPNG},
		{Name: "preview", Width: 600, Fit: messages.FitInside},
	}, nil)
	out, err := r.Render(context.Background(), src.Bytes(), specs)
	if err != nil {
		panic(err)
	}
	for _, v := range out {
		fmt.Printf("%s.%s %dx%d %s\n", v.Spec.Name, v.Spec.Ext(), v.Width, v.Height, v.Spec.ContentType())
	}
	// Output:
	// og-image.jpg 1200x630 image/jpeg
	// avatar.png 128x128 image/png
	// preview.jpg 600x450 image/jpeg
}
